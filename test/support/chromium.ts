// Headless Chromium for the e2e tests: the launcher the conformance harness uses too (src/conformance).
export { chromiumArgs, chromiumPath, launchChromium } from '../../src/conformance/chromium-launch.js';
