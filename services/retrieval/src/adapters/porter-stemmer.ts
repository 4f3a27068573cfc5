// The Porter stemming algorithm (M.F. Porter, "An algorithm for suffix stripping", 1980), as
// Lucene's PorterStemFilter applies it. The Elasticsearch build the platform runs has no
// analysis-common module (no stemmers), so keyword terms are stemmed here before indexing and
// searching (see keyword-terms.ts).

/**
 * Longer words are left as they are: no English word comes near, and what does (hashes, base64,
 * a run of one letter) gains nothing from stemming but would cost time.
 */
export const maxStemmedLength = 64;

const isVowelLetter = (c: string) => c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u';

/**
 * Porter's consonant: not a, e, i, o, u, and not a y that follows a consonant. Within a run of
 * y's the answer alternates from the letter before the run, so it is read off that letter (a loop
 * back over the run, never a recursion through it).
 */
const isConsonantAt = (w: string, i: number): boolean => {
  const c = w[i]!;
  if (c !== 'y') return !isVowelLetter(c);
  let j = i - 1;
  while (j >= 0 && w[j] === 'y') j--;
  // The run's first y is a consonant at the start of the word or after a vowel.
  const firstIsConsonant = j < 0 || isVowelLetter(w[j]!);
  return (i - j - 1) % 2 === 0 ? firstIsConsonant : !firstIsConsonant;
};

/** isConsonantAt for every position, in one pass. */
function consonants(w: string): boolean[] {
  const flags = new Array<boolean>(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = w[i]!;
    flags[i] = c === 'y' ? i === 0 || !flags[i - 1] : !isVowelLetter(c);
  }
  return flags;
}

/** m in [C](VC)^m[V]: the number of vowel-consonant sequences of the stem. */
function measure(stem: string): number {
  const consonant = consonants(stem);
  let m = 0;
  let i = 0;
  const n = stem.length;
  while (i < n && consonant[i]) i++;
  while (i < n) {
    while (i < n && !consonant[i]) i++;
    if (i >= n) break;
    while (i < n && consonant[i]) i++;
    m++;
  }
  return m;
}

const hasVowel = (stem: string) => consonants(stem).some((consonant) => !consonant);
const endsDoubleConsonant = (w: string) => w.length >= 2 && w[w.length - 1] === w[w.length - 2] && isConsonantAt(w, w.length - 1);
/** *o: the stem ends consonant-vowel-consonant, the last not w, x or y. */
const endsCvc = (w: string) => {
  const n = w.length;
  return n >= 3 && isConsonantAt(w, n - 3) && !isConsonantAt(w, n - 2) && isConsonantAt(w, n - 1) && !'wxy'.includes(w[n - 1]!);
};

/** Replaces the first matching suffix when the remaining stem has measure > minMeasure. */
function replaceSuffix(w: string, rules: Array<[string, string]>, minMeasure: number): string {
  for (const [suffix, replacement] of rules) {
    if (w.endsWith(suffix)) {
      const stem = w.slice(0, w.length - suffix.length);
      return measure(stem) > minMeasure ? stem + replacement : w;
    }
  }
  return w;
}

const step2Rules: Array<[string, string]> = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['izer', 'ize'],
  ['bli', 'ble'],
  ['alli', 'al'],
  ['entli', 'ent'],
  ['eli', 'e'],
  ['ousli', 'ous'],
  ['ization', 'ize'],
  ['ation', 'ate'],
  ['ator', 'ate'],
  ['alism', 'al'],
  ['iveness', 'ive'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['aliti', 'al'],
  ['iviti', 'ive'],
  ['biliti', 'ble'],
  ['logi', 'log'],
];
const step3Rules: Array<[string, string]> = [
  ['icate', 'ic'],
  ['ative', ''],
  ['alize', 'al'],
  ['iciti', 'ic'],
  ['ical', 'ic'],
  ['ful', ''],
  ['ness', ''],
];
const step4Suffixes = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ion', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize'];

/** Stems one lower-case word; words of one or two letters, or over maxStemmedLength, are left alone. */
export function porterStem(word: string): string {
  if (word.length <= 2 || word.length > maxStemmedLength) return word;
  let w = word;
  // Step 1a
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies')) w = w.slice(0, -2);
  else if (!w.endsWith('ss') && w.endsWith('s')) w = w.slice(0, -1);
  // Step 1b
  let extra = false;
  if (w.endsWith('eed')) {
    if (measure(w.slice(0, -3)) > 0) w = w.slice(0, -1);
  } else if (w.endsWith('ed') && hasVowel(w.slice(0, -2))) {
    w = w.slice(0, -2);
    extra = true;
  } else if (w.endsWith('ing') && hasVowel(w.slice(0, -3))) {
    w = w.slice(0, -3);
    extra = true;
  }
  if (extra) {
    if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
    else if (endsDoubleConsonant(w) && !/[lsz]$/.test(w)) w = w.slice(0, -1);
    else if (measure(w) === 1 && endsCvc(w)) w += 'e';
  }
  // Step 1c
  if (w.endsWith('y') && hasVowel(w.slice(0, -1))) w = `${w.slice(0, -1)}i`;
  // Steps 2 and 3
  w = replaceSuffix(w, step2Rules, 0);
  w = replaceSuffix(w, step3Rules, 0);
  // Step 4
  for (const suffix of step4Suffixes) {
    if (w.endsWith(suffix)) {
      const stem = w.slice(0, w.length - suffix.length);
      if (measure(stem) > 1 && (suffix !== 'ion' || /[st]$/.test(stem))) w = stem;
      break;
    }
  }
  // Step 5a
  if (w.endsWith('e')) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1 || (m === 1 && !endsCvc(stem))) w = stem;
  }
  // Step 5b
  if (measure(w) > 1 && endsDoubleConsonant(w) && w.endsWith('l')) w = w.slice(0, -1);
  return w;
}
