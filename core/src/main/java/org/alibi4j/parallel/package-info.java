/**
 * The threads the CPU kernels run on: {@link org.alibi4j.parallel.WorkerTeam}, shared by a model's matrix
 * products and its attention so that a decode step's many short calls find their threads awake.
 */
package org.alibi4j.parallel;
