// The site's personal-information protection impact assessment (个人信息保护影响评估):
// PIPL art. 55 requires one before sensitive personal information — a face — is
// processed; art. 56 says what it covers (purpose and method lawful, legitimate and
// necessary; the effect on the people and the risks; whether the protective measures
// are lawful, effective and proportionate) and that the record is kept at least three
// years. The site fills it in at /admin; face pay and enrolment stay off until one exists.
// A new assessment is a new row: the earlier ones stay.
import type { Db } from '../store/sqlite.ts';

export interface ImpactAssessmentInput {
  assessed_on: string;
  assessor: string;
  necessity: string;
  risks: string;
  measures: string;
  conclusion: string;
}

export interface ImpactAssessment extends ImpactAssessmentInput {
  id: number;
  recorded_by: string;
  at: number;
}

export const ASSESSMENT_FIELDS = ['assessed_on', 'assessor', 'necessity', 'risks', 'measures', 'conclusion'] as const;

export class ImpactAssessments {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  latest(): ImpactAssessment | null {
    return (this.db.prepare('SELECT * FROM face_impact_assessments ORDER BY id DESC LIMIT 1').get() as ImpactAssessment | undefined) ?? null;
  }

  all(): ImpactAssessment[] {
    return this.db.prepare('SELECT * FROM face_impact_assessments ORDER BY id DESC').all() as ImpactAssessment[];
  }

  record(a: ImpactAssessmentInput, recordedBy: string): ImpactAssessment {
    const at = this.now();
    const id = this.db
      .prepare('INSERT INTO face_impact_assessments (assessed_on, assessor, necessity, risks, measures, conclusion, recorded_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.assessed_on, a.assessor, a.necessity, a.risks, a.measures, a.conclusion, recordedBy, at).lastInsertRowid as number;
    return { id, ...a, recorded_by: recordedBy, at };
  }
}
