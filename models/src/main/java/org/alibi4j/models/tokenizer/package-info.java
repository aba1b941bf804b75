/**
 * Text to ids and back with a model's {@code tokenizer.json}, as transformers' fast tokenizers do it:
 * {@link org.alibi4j.models.tokenizer.TextTokenizer}, and {@link org.alibi4j.models.tokenizer.TextStream} for
 * printing generated text as it comes.
 */
package org.alibi4j.models.tokenizer;
