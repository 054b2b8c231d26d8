// Reading figures out of a Prometheus text scrape, for the benchmarks and the tests.

/**
 * The sum of the samples of `name` whose labels contain `having` (a metric without labels matches
 * when `having` is empty); undefined when no sample matches.
 */
export function sampleSum(text: string, name: string, having = ''): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const matches = (line.startsWith(`${name}{`) && line.includes(having)) || (!having && line.startsWith(`${name} `));
    if (matches) sum = (sum ?? 0) + Number(line.split(' ').at(-1));
  }
  return sum;
}
