/**
 * The account subgraph raises only shared errors (BAD_USER_INPUT for a malformed id); an unknown user
 * is `null`, not an error. Kept so that every subgraph has the same shape.
 */
export { BadUserInput } from '../../shared';
