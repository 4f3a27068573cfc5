// The keyword analysis done before Elasticsearch: Porter's reference examples and stop words.
import { keywordTerms } from '../src/adapters/keyword-terms';
import { porterStem } from '../src/adapters/porter-stemmer';

test.each([
  ['caresses', 'caress'], ['ponies', 'poni'], ['cats', 'cat'], ['feed', 'feed'], ['agreed', 'agre'], ['plastered', 'plaster'],
  ['motoring', 'motor'], ['sing', 'sing'], ['conflated', 'conflat'], ['hopping', 'hop'], ['falling', 'fall'], ['filing', 'file'],
  ['happy', 'happi'], ['sky', 'sky'], ['relational', 'relat'], ['conditional', 'condit'], ['digitizer', 'digit'],
  ['vietnamization', 'vietnam'], ['decisiveness', 'decis'], ['sensibiliti', 'sensibl'], ['triplicate', 'triplic'],
  ['electrical', 'electr'], ['allowance', 'allow'], ['adjustable', 'adjust'], ['adoption', 'adopt'], ['effective', 'effect'],
  ['probate', 'probat'], ['rate', 'rate'], ['cease', 'ceas'], ['controll', 'control'], ['generalizations', 'gener'], ['oscillators', 'oscil'],
])('porterStem(%s) = %s', (word, stem) => {
  expect(porterStem(word)).toBe(stem);
});

test('keyword terms: lower-cased letter and digit runs, stop words dropped, stems kept', () => {
  expect(keywordTerms('The Vaccines were 5-fold MORE effective in mice!')).toBe('vaccin were 5 fold more effect mice');
  expect(keywordTerms('the of and')).toBe('');
  expect(keywordTerms('Über naïve résumés')).toBe('über naïv résumé');
});
