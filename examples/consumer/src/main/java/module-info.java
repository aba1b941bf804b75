/** An engine's use of alibi4j, as a module: it reads org.alibi4j, which exports the API and not its internals. */
module org.alibi4j.example.consumer {
    requires org.alibi4j;
}
