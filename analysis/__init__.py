"""analysis stage of yuqing."""
