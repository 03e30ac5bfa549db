DEMO_PASSWORD = "growthops"
