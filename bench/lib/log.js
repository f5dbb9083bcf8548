/** The bench's progress lines, on stderr (stdout carries the results table). */
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

module.exports = { log };
