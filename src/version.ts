/** Carried in every report so a run can be reproduced with the same engine. */
export const VERSION = "0.1.0";
