"""Organization profiles: who the register is about, and which frameworks apply to them."""
