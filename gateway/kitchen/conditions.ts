// The kitchen CONDITIONS registry: what a rule's `when:` can say, one entry per `is:`
// value — its config schema and how it is evaluated on one frame. The rule config's
// `when` is the union of the entries' schemas, so a new kind of condition is one entry
// here. Per-person checks (a mask, a hat, a uniform) are all the one `lacking` condition:
// the attribute is named in `kitchen.attributes` and its model's manifest says which
// labels mean with / without (models/detector/attribute.ts). `without_mask` is the
// older spelling of `lacking` + `attribute: mask`.
import { z } from 'zod';
import type { Detection } from '../../models/detector/detector.ts';

/** A person box and whether the attribute's model found the attribute on them. */
export interface PersonAttribute {
  person: Detection;
  has: boolean;
}

/** What was seen on one frame. */
export interface Observation {
  /** frame time, ms */
  at: number;
  detections: readonly Detection[];
  /** per attribute name: the person boxes its model looked at and found the part on (rules with `is: lacking`) */
  attributes?: Readonly<Record<string, readonly PersonAttribute[]>>;
}

export const attributeNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and "_", e.g. mask, hat');

const base = {
  label: z.string().min(1).max(60).describe('a label any configured model produces: "person", "cell phone", "knife" (COCO), or a site model\'s ("chef_hat", "rat")'),
  min_score: z.number().min(0).max(1).optional().describe('detection score needed for a box to count; default kitchen.min_score'),
};
const minCount = z.number().int().min(1).max(100).default(1).describe('boxes needed');

/** Whether a box counts for the rule (label, score, zones) — the same for every condition. */
export type Counts = (d: Detection) => boolean;
export interface Verdict {
  holds: boolean;
  /** the boxes that make it hold (drawn red); for absent: none */
  matches: Detection[];
}

interface Condition<S extends z.ZodType> {
  schema: S;
  evaluate(when: z.output<S>, o: Observation, counts: Counts): Verdict;
  /** the default alert text's "what", English (the rule's `message` is what staff read) */
  describe(when: z.output<S>): string;
  /** the per-person attribute the condition needs run on the person boxes */
  attribute?(when: z.output<S>): string;
}
const condition = <S extends z.ZodType>(c: Condition<S>) => c;

function lacking(attribute: (w: { attribute?: string }) => string) {
  return (when: { label: string; min_count: number; attribute?: string }, o: Observation, counts: Counts): Verdict => {
    const matches = (o.attributes?.[attribute(when)] ?? []).filter((p) => !p.has && counts(p.person)).map((p) => p.person);
    return { holds: matches.length >= when.min_count, matches };
  };
}

export const CONDITIONS = {
  present: condition({
    schema: z.strictObject({ ...base, is: z.literal('present').default('present').describe('at least min_count boxes of the label in the zones'), min_count: minCount }),
    evaluate: (w, o, counts) => {
      const matches = o.detections.filter(counts);
      return { holds: matches.length >= w.min_count, matches };
    },
    describe: (w) => w.label,
  }),
  absent: condition({
    schema: z.strictObject({ ...base, is: z.literal('absent').describe('no box of the label in the zones') }),
    evaluate: (_w, o, counts) => ({ holds: !o.detections.some(counts), matches: [] }),
    describe: (w) => `no ${w.label}`,
  }),
  lacking: condition({
    schema: z.strictObject({
      ...base,
      is: z.literal('lacking').describe('that many boxes of the label (persons) on which the attribute\'s model finds the attribute missing (a person whose head or body it cannot see does not count)'),
      attribute: attributeNameSchema.describe('a name of kitchen.attributes (mask is always there)'),
      min_count: minCount,
    }),
    evaluate: lacking((w) => w.attribute!),
    describe: (w) => `${w.label} without ${w.attribute}`,
    attribute: (w) => w.attribute,
  }),
  without_mask: condition({
    schema: z.strictObject({ ...base, is: z.literal('without_mask').describe('the same as is: lacking, attribute: mask'), min_count: minCount }),
    evaluate: lacking(() => MASK_ATTRIBUTE),
    describe: (w) => `${w.label} without mask`,
    attribute: () => MASK_ATTRIBUTE,
  }),
};

/** The attribute `without_mask` means; always defined (kitchen.mask_model). */
export const MASK_ATTRIBUTE = 'mask';

export type ConditionName = keyof typeof CONDITIONS;
export const CONDITION_NAMES = Object.keys(CONDITIONS) as ConditionName[];

export const conditionSchema = z
  .discriminatedUnion('is', [CONDITIONS.present.schema, CONDITIONS.absent.schema, CONDITIONS.lacking.schema, CONDITIONS.without_mask.schema])
  .describe('what must hold on a frame; is: present (default) | absent | lacking | without_mask');
export type ConditionConfig = z.output<typeof conditionSchema>;

type Entry = Condition<z.ZodType<ConditionConfig>>;
const entry = (w: ConditionConfig): Entry => CONDITIONS[w.is] as unknown as Entry;

export function evaluateCondition(when: ConditionConfig, o: Observation, counts: Counts): Verdict {
  return entry(when).evaluate(when, o, counts);
}

export function describeCondition(when: ConditionConfig): string {
  return entry(when).describe(when);
}

/** The per-person attribute a condition needs, if any. */
export function conditionAttribute(when: ConditionConfig): string | undefined {
  return entry(when).attribute?.(when);
}
