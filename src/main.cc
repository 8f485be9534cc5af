// hydrant: the server binary.
int main() { return 0; }
