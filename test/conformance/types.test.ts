import { CORPUS_PARTS } from './corpusTable';
import { describeCorpus } from './runCorpus';

describeCorpus('conformance: abstract types, ownership, visibility, execution', CORPUS_PARTS.types);
