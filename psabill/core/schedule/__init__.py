"""The billing schedule: pure slot maths in the account's zone."""
