"""In-process domain events: a lower domain publishes, a higher one subscribes."""
