"""AWS semantics: one handler per operation, mapping wire params to the domain and back."""
