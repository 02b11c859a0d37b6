"""crawler stage of yuqing."""
