-- Legal-for-trade weighing (issue 15; numbered 018 in the lead's plan): who decided a
-- priced reading was stable, and the scale's data plate and certificates at that moment
-- (OIML R76-1 4.4.2, 4.5.2; JJG 539), kept with the line's audit record.
ALTER TABLE canteen_lines ADD COLUMN stable_by TEXT;   -- scale | filter; null before this migration
ALTER TABLE canteen_lines ADD COLUMN metrology TEXT;   -- JSON {legalForTrade, maxG, minG, typeApprovalNo, verificationNo, verifiedUntil}; null when not a legal-for-trade scale
