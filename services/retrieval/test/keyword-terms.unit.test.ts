// The keyword analysis done before Elasticsearch: Porter's reference examples and stop words.
import { keywordTerms, maxRememberedStems, rememberedStems } from '../src/adapters/keyword-terms';
import { maxStemmedLength, porterStem } from '../src/adapters/porter-stemmer';

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

test('remembered stems give the same terms, also once more words were seen than are remembered', () => {
  const sentence = 'Generalizations about oscillators were effective';
  const expected = 'gener about oscil were effect';
  expect(keywordTerms(sentence)).toBe(expected);
  expect(keywordTerms(sentence)).toBe(expected);
  // Distinct words past the bound (letters only, so that each is stemmed): the memory is emptied, not wrong.
  const word = (i: number) => `relational${i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!)}`;
  for (let i = 0; i <= maxRememberedStems; i += 1000) {
    const words = Array.from({ length: 1000 }, (_, j) => word(i + j));
    expect(keywordTerms(words.join(' '))).toBe(words.map(porterStem).join(' '));
  }
  expect(keywordTerms(sentence)).toBe(expected);
});

test("runs of y are read in linear time: Porter's y rule, and no recursion through the run", () => {
  // A y after a consonant is a vowel, after a vowel (or first) a consonant: the rule alternates.
  expect(porterStem('sayings')).toBe('sai');
  expect(porterStem('yyyying')).toBe('yyyi');
  expect(porterStem('toyyyyed')).toBe('toyyyi');
  // Recursing through the run overflowed the stack at ~20,000 y's after seconds of work.
  const started = Date.now();
  expect(porterStem('y'.repeat(maxStemmedLength))).toBe('y'.repeat(maxStemmedLength - 1) + 'i');
  expect(porterStem('y'.repeat(20_000) + 'ing')).toBe('y'.repeat(20_000) + 'ing');
  expect(keywordTerms(`${'y'.repeat(200_000)} relational`)).toBe(`${'y'.repeat(200_000)} relat`);
  expect(Date.now() - started).toBeLessThan(1_000);
});

test('tokens longer than can be stemmed are indexed as they are and not remembered', () => {
  const long = 'relational'.repeat(7);
  expect(long.length).toBeGreaterThan(maxStemmedLength);
  expect(porterStem(long)).toBe(long);
  keywordTerms('warmup');
  const before = rememberedStems();
  expect(keywordTerms(`${long} ${long}x`)).toBe(`${long} ${long}x`);
  expect(rememberedStems()).toBe(before);
});
