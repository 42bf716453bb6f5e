"""Lab 3: the user service of lab 1, offered over gRPC too, from one process and one store."""
