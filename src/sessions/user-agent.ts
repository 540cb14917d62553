// A readable device, browser and OS from a User-Agent header, for session lists. Deliberately small: the
// common browsers and systems by their documented tokens; anything else is "Unknown".
export interface ParsedUserAgent { readonly browser: string; readonly os: string; readonly device: 'desktop' | 'mobile' | 'tablet' | 'unknown' }

const browsers: [RegExp, string][] = [
  [/Edg(?:A|iOS)?\/(\d+)/, 'Edge'], [/OPR\/(\d+)/, 'Opera'], [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/Firefox\/(\d+)/, 'Firefox'], [/FxiOS\/(\d+)/, 'Firefox'], [/CriOS\/(\d+)/, 'Chrome'], [/(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
];
const systems: [RegExp, string][] = [
  [/Windows NT/, 'Windows'], [/iPhone|iPad|iPod/, 'iOS'], [/Android/, 'Android'], [/CrOS/, 'ChromeOS'], [/Mac OS X/, 'macOS'], [/Linux/, 'Linux'],
];

export function parseUserAgent(header: string | null | undefined): ParsedUserAgent {
  const ua = header ?? '';
  let browser = 'Unknown';
  for (const [pattern, name] of browsers) {
    const match = pattern.exec(ua);
    if (match) {
      browser = `${name} ${match[1]}`;
      break;
    }
  }
  const os = systems.find(([pattern]) => pattern.test(ua))?.[1] ?? 'Unknown';
  const device = /iPad|Tablet/.test(ua) ? 'tablet' : /Mobi|iPhone|Android/.test(ua) ? 'mobile' : ua ? (os === 'Unknown' ? 'unknown' : 'desktop') : 'unknown';
  return { browser, os, device };
}
