package org.alibi4j.cli;

/** Output formats; lower case because they are typed on the command line. */
enum Format {
    text, json
}
