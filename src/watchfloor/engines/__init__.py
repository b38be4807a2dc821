"""Heavy computation behind small interfaces."""
