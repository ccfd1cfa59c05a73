/**
 * Plivo `<Speak voice language>` → espeak-ng voice name (`-v`).
 *
 * | Plivo                       | espeak-ng                                                   |
 * | --------------------------- | ----------------------------------------------------------- |
 * | language (e.g. `en-US`)     | the espeak voice of that tag, lower-cased (`en-us`); the    |
 * |                             | table below for tags espeak names differently (`en-AU` →    |
 * |                             | `en-gb`, `es-US` → `es-419`, `cmn-CN` → `cmn`, `arb` → `ar`…);|
 * |                             | else the primary subtag (`it-IT` → `it`); else the default   |
 * | `WOMAN`                     | that voice with the female variant `+f3` (`en-us+f3`)       |
 * | `MAN`                       | that voice as is (espeak's base voices are male)             |
 * | `Polly.<Name>`              | no Polly here: `+f3`, or the male voice for the male Polly  |
 * |                             | names listed in POLLY_MALE                                  |
 */

/** espeak-ng 1.51 voice names (`espeak-ng --voices`), the ones a Plivo language tag can map to. */
const ESPEAK_VOICES: ReadonlySet<string> = new Set(
  (
    'af am an ar as az ba be bg bn bs ca cmn cs cy da de el en-029 en-gb en-gb-scotland en-gb-x-gbclan ' +
    'en-gb-x-gbcwmd en-gb-x-rp en-us en-us-nyc eo es es-419 et eu fa fi fr-be fr-ch fr-fr ga gd gu he hi hr ' +
    'ht hu hy id is it ja ka kk kn ko ku ky la lb lt lv mi mk ml mr ms mt my nb ne nl or pa pl pt pt-br ro ' +
    'ru sd si sk sl sq sr sv sw ta te th tr tt uk ur uz vi yue'
  ).split(' '),
);

/** Plivo language tags (lower-cased) whose espeak voice has another name. */
const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  'en-au': 'en-gb',
  'en-in': 'en-gb',
  'en-gb-wls': 'en-gb',
  'cy-gb': 'cy',
  'fr-ca': 'fr-fr',
  fr: 'fr-fr',
  'es-es': 'es',
  'es-mx': 'es-419',
  'es-us': 'es-419',
  'pt-pt': 'pt',
  'cmn-cn': 'cmn',
  'zh-cn': 'cmn',
  arb: 'ar',
  'nb-no': 'nb',
  'no-no': 'nb',
};

/** Amazon Polly voices that are male (the rest get the female variant). */
const POLLY_MALE: ReadonlySet<string> = new Set([
  'Brian',
  'Cristiano',
  'Enrique',
  'Geraint',
  'Giorgio',
  'Hans',
  'Jacek',
  'Jan',
  'Joey',
  'Justin',
  'Karl',
  'Mathieu',
  'Matthew',
  'Maxim',
  'Miguel',
  'Russell',
  'Takumi',
  'Kevin',
  'Stephen',
  'Aditi-Male',
]);

const FEMALE_VARIANT = '+f3';

/** The espeak-ng voice for a Plivo language tag, without the gender variant. */
export function espeakLanguageVoice(language: string, defaultVoice: string): string {
  const tag = language.toLowerCase();
  const alias = LANGUAGE_ALIASES[tag];
  if (alias !== undefined) {
    return alias;
  }
  if (ESPEAK_VOICES.has(tag)) {
    return tag;
  }
  const primary = tag.split('-')[0] ?? '';
  return ESPEAK_VOICES.has(primary) ? primary : defaultVoice;
}

/** True when the Plivo voice should be female. */
export function isFemaleVoice(voice: string): boolean {
  if (voice === 'MAN') {
    return false;
  }
  if (voice.startsWith('Polly.')) {
    return !POLLY_MALE.has(voice.slice('Polly.'.length));
  }
  return true;
}

/** The `-v` argument for espeak-ng: e.g. (`WOMAN`, `en-US`) → `en-us+f3`, (`MAN`, `de-DE`) → `de`. */
export function espeakVoiceFor(voice: string, language: string, defaultVoice = 'en-us'): string {
  const base = espeakLanguageVoice(language, defaultVoice);
  return isFemaleVoice(voice) ? base + FEMALE_VARIANT : base;
}
