"""What every lab shares and no lab teaches: starting labs, waiting for them, testing and grading them."""
