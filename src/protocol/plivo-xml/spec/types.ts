/**
 * The shape of an element spec. Every Plivo XML element we implement is declared once, as data, in a
 * file beside this one; the parser's validation, the builder's attribute types and refusal messages,
 * and docs/xml.md are all derived from those declarations (STYLE.md 5.1 principle 4).
 */

/**
 * The longest duration any element attribute may ask for: 24 hours, the point at which Plivo cuts every
 * call whatever its `time_limit`. A longer value can never take effect, so it is refused (D9) instead
 * of being scheduled.
 */
export const MAX_DURATION_SEC = 86_400;

/** {@link MAX_DURATION_SEC} in milliseconds, for the attributes counted in ms. */
export const MAX_DURATION_MS = MAX_DURATION_SEC * 1000;

/** What every attribute declaration carries. */
interface AttributeSpecBase {
  /** One line for the docs: what the attribute does. */
  readonly doc: string;
  /** The property name in the typed document, when it differs from the attribute (units in names). */
  readonly field?: string;
}

/** `"true"` / `"false"`, compared case-insensitively after trimming. */
export interface BooleanAttributeSpec extends AttributeSpecBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

/** A decimal integer (optional sign, digits only), checked against `min`/`max`. */
export interface IntegerAttributeSpec extends AttributeSpecBase {
  readonly type: 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: 'seconds' | 'milliseconds';
}

/** One value out of a closed list, spelled exactly as on the wire. */
export interface EnumAttributeSpec extends AttributeSpecBase {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default?: string;
  /** Compare ignoring ASCII case; the typed value is the listed spelling. */
  readonly caseInsensitive?: boolean;
  /** Remove whitespace around `;` before comparing (media types). */
  readonly compactSemicolons?: boolean;
  /** Old spellings accepted with a warning, mapped to their current value (D16). */
  readonly legacyAliases?: Readonly<Record<string, string>>;
}

/** An absolute URL with one of the listed schemes (trimmed before parsing). */
export interface UrlAttributeSpec extends AttributeSpecBase {
  readonly type: 'url';
  readonly schemes: readonly string[];
  readonly default?: string;
}

/** Free text, optionally matched against a pattern and bounded in UTF-8 bytes. */
export interface StringAttributeSpec extends AttributeSpecBase {
  readonly type: 'string';
  readonly default?: string;
  readonly pattern?: RegExp;
  /** How the pattern reads in docs and messages, e.g. "digits 0-9, * and #". */
  readonly patternDoc?: string;
  readonly maxBytes?: number;
}

/** One attribute declaration. */
export type AttributeSpec =
  BooleanAttributeSpec | IntegerAttributeSpec | EnumAttributeSpec | UrlAttributeSpec | StringAttributeSpec;

/** The element's text content, when it has one (a URL, text to speak, digits). */
export interface BodySpec {
  /** The property name in the typed document. */
  readonly field: string;
  readonly required: boolean;
  /** How the body is checked; the body is trimmed first. */
  readonly value: UrlAttributeSpec | StringAttributeSpec;
}

/** A problem found by a cross-attribute rule. */
export interface RuleIssue {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  /** The attribute the problem is reported at. */
  readonly attribute: string;
  readonly detail: string;
}

/** Typed attribute values by attribute name, after defaults are applied. */
export type AttributeValues = ReadonlyMap<string, boolean | number | string>;

/** One element. */
export interface ElementSpec {
  readonly name: string;
  /** One paragraph for the docs. */
  readonly doc: string;
  readonly attributes: Readonly<Record<string, AttributeSpec>>;
  readonly body?: BodySpec;
  /** Element names allowed as children, in the order the docs list them. */
  readonly children: readonly string[];
  /** It must be the first child of its parent (`<PreAnswer>`): anything before it is an error. */
  readonly first?: boolean;
  /** Children may also be SSML markup (Speak only); SSML is passed through, not validated. */
  readonly ssmlChildren?: boolean;
  /**
   * Checks that involve more than one attribute (D9), given the typed values with defaults applied.
   * A warning is reported only when its attribute is written in the document.
   */
  readonly rules?: (values: AttributeValues) => readonly RuleIssue[];
}

// Type-level derivation: from a spec literal to the typed-document and builder attribute types.

type ValueOf<A> = A extends { readonly type: 'boolean' }
  ? boolean
  : A extends { readonly type: 'integer' }
    ? number
    : A extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : string;

type FieldOf<K, A> = A extends { readonly field: infer F extends string } ? F : K & string;

type Attrs<S extends ElementSpec> = S['attributes'];

type WithDefault<S extends ElementSpec> = {
  [K in keyof Attrs<S>]: Attrs<S>[K] extends { readonly default: unknown } ? K : never;
}[keyof Attrs<S>];

type WithoutDefault<S extends ElementSpec> = Exclude<keyof Attrs<S>, WithDefault<S>>;

/** The typed attribute values of an element: defaults applied, units in the property names. */
export type TypedAttributes<S extends ElementSpec> = {
  readonly [K in WithDefault<S> as FieldOf<K, Attrs<S>[K]>]: ValueOf<Attrs<S>[K]>;
} & {
  readonly [K in WithoutDefault<S> as FieldOf<K, Attrs<S>[K]>]?: ValueOf<Attrs<S>[K]>;
};

type BuilderValueOf<A> = A extends { readonly type: 'boolean' }
  ? boolean | 'true' | 'false'
  : A extends { readonly type: 'integer' }
    ? number
    : A extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : string;

/** What the builder accepts for an element's attributes (wire names, every one optional). */
export type BuilderAttributes<S extends ElementSpec> = {
  readonly [K in keyof Attrs<S>]?: BuilderValueOf<Attrs<S>[K]>;
};
