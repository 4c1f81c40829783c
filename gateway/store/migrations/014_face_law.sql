-- Face data and the law (PIPL arts. 28-31, 47, 55-56; 2025 face-recognition Measures):
-- a birth date on the account (under 14 = guardian consent, decided by the server),
-- the guardian's relation on the consent record, when a template was last used (the
-- retention sweep deletes unused ones), and the site's personal-information impact
-- assessment, without which face pay and enrolment stay off.
ALTER TABLE payment_accounts ADD COLUMN birth_date TEXT;            -- YYYY-MM-DD, or NULL when not known
ALTER TABLE face_consents ADD COLUMN guardian_relation TEXT;        -- 父亲, 母亲, 法定监护人 …; required with guardian_name for under-14s
ALTER TABLE face_templates ADD COLUMN last_used_at INTEGER;         -- epoch ms of the last match; NULL = never since enrolment

-- 个人信息保护影响评估 (PIPL art. 56: purpose and method lawful, legitimate and necessary;
-- the effect on the person and the risks; whether the protective measures are lawful,
-- effective and proportionate). Kept at least three years (art. 56): rows are never deleted.
CREATE TABLE face_impact_assessments (
  id            INTEGER PRIMARY KEY,
  assessed_on   TEXT    NOT NULL,             -- YYYY-MM-DD, site time
  assessor      TEXT    NOT NULL,             -- who carried it out (person or body)
  necessity     TEXT    NOT NULL,             -- purpose and method: lawful, legitimate, necessary?
  risks         TEXT    NOT NULL,             -- effect on the people and the security risks
  measures      TEXT    NOT NULL,             -- protective measures, and whether they are proportionate
  conclusion    TEXT    NOT NULL,
  recorded_by   TEXT    NOT NULL,             -- the signed-in admin
  at            INTEGER NOT NULL
);
