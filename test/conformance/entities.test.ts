import { CORPUS_PARTS } from './corpusTable';
import { describeCorpus } from './runCorpus';

describeCorpus('conformance: keys, @requires, @provides, aliases, Fed 1', CORPUS_PARTS.entities);
