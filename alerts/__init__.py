"""alerts stage of yuqing."""
