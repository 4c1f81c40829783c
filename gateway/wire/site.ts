// The site as every page's snapshot names it.

export interface SiteInfo {
  name: string;
  version: string;
  timezone: string;
  /** demo data on (simulators.demo): the pages say so */
  demo?: boolean;
}
