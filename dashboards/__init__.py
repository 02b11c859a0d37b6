"""dashboards stage of yuqing."""
