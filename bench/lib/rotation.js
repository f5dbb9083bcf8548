/**
 * How the requests of a run rotate over an operation's variants, and the proof that none repeats within a
 * second: each variant's last send is kept, and a send less than a second after the previous one is counted.
 * A rotation lives as long as its router and operation (warm-up and every round), so that a run starting right
 * after the warm-up is checked against it too. Plain Node: unit-tested without the bench's packages.
 */

/** The window within which a variant sent again counts as a repeat. */
const REPEAT_WINDOW_MS = 1000;

/** A rotation over `variantCount` variants, none sent yet. */
function newRotation(variantCount) {
  return { next: 0, repeats: 0, lastSent: new Float64Array(variantCount).fill(Number.NEGATIVE_INFINITY) };
}

/** The variant to send at `now` (ms); counts it in `rotation.repeats` when it was sent less than a second before. */
function nextVariant(rotation, now) {
  const variant = rotation.next++ % rotation.lastSent.length;
  if (now - rotation.lastSent[variant] < REPEAT_WINDOW_MS) rotation.repeats += 1;
  rotation.lastSent[variant] = now;
  return variant;
}

module.exports = { newRotation, nextVariant, REPEAT_WINDOW_MS };
