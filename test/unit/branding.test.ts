import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSealer } from '../../src/crypto/sealing.js';
import { applySettingsPatch } from '../../src/tenants/tenant-settings-update.js';
import { brandingCss, contrastRatio, defaultBranding, linkColor, parseBranding } from '../../src/tenants/branding.js';

test('missing or invalid branding falls back to the defaults, field by field', () => {
  assert.deepEqual(parseBranding(undefined), defaultBranding);
  assert.deepEqual(parseBranding('nope'), defaultBranding);
  assert.deepEqual(parseBranding({ primaryColor: 'red', logoUrl: 42 }), defaultBranding);
  assert.deepEqual(parseBranding({ primaryColor: '#12345g' }), defaultBranding);
  assert.deepEqual(parseBranding({ primaryColor: '#0F0' }), { logoUrl: null, primaryColor: '#00ff00' });
  assert.deepEqual(parseBranding({ primaryColor: '#AbCdEf', logoUrl: 'https://cdn.example.com/l.png' }), {
    logoUrl: 'https://cdn.example.com/l.png',
    primaryColor: '#abcdef',
  });
});

test('the default brand colour passes AA with white text', () => {
  assert.ok(contrastRatio(defaultBranding.primaryColor, '#ffffff') >= 4.5);
  assert.equal(brandingCss(defaultBranding), ':root{--brand:#1d4ed8;--brand-contrast:#ffffff;--brand-link:#1d4ed8}');
});

test('logo URLs must be https, or http on localhost for development', () => {
  const logo = (logoUrl: unknown) => parseBranding({ logoUrl }).logoUrl;
  assert.equal(logo('javascript:alert(1)'), null);
  assert.equal(logo(' JavaScript:alert(1)'), null);
  assert.equal(logo('data:image/svg+xml,<svg/>'), null);
  assert.equal(logo('http://evil.example/logo.png'), null);
  assert.equal(logo('https://user:pw@cdn.example.com/logo.png'), null);
  assert.equal(logo('/relative.png'), null);
  assert.equal(logo('http://localhost:3000/logo.png'), 'http://localhost:3000/logo.png');
  assert.equal(logo('http://127.0.0.1/logo.png'), 'http://127.0.0.1/logo.png');
  assert.equal(logo('http://localhost.evil.example/logo.png'), null);
});

test('brand css holds only the two custom properties, with readable contrast text', () => {
  assert.equal(brandingCss({ logoUrl: null, primaryColor: '#ffeb3b' }), `:root{--brand:#ffeb3b;--brand-contrast:#000000;--brand-link:${linkColor('#ffeb3b')}}`);
  assert.equal(brandingCss({ logoUrl: null, primaryColor: '#000000' }), ':root{--brand:#000000;--brand-contrast:#ffffff;--brand-link:#000000}');
  // A Branding that skipped parseBranding still cannot inject CSS.
  const injected = brandingCss({ logoUrl: null, primaryColor: 'red}body{display:none' });
  assert.equal(injected, brandingCss(defaultBranding));
});

test('the chosen text colour always reaches AA contrast on the brand colour', () => {
  for (const color of ['#1a73e8', '#ffeb3b', '#000000', '#ffffff', '#777777', '#808080', '#e53935', '#00ff00']) {
    const chosen = /--brand-contrast:(#[0-9a-f]{6})/.exec(brandingCss({ logoUrl: null, primaryColor: color }))?.[1];
    assert.ok(chosen, color);
    assert.ok(contrastRatio(color, chosen) >= 4.5, `${color} on ${chosen}: ${contrastRatio(color, chosen)}`);
  }
});

test('contrastRatio follows WCAG and rejects non-colours', () => {
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#ffffff', '#000'), 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  assert.ok(Math.abs(contrastRatio('#767676', '#ffffff') - 4.54) < 0.01);
  assert.throws(() => contrastRatio('blue', '#ffffff'), /branding\.invalid_color/);
});

test('links take the brand colour, darkened only as far as text contrast needs (4.5:1 on the page background)', () => {
  assert.equal(linkColor('#1d4ed8'), '#1d4ed8', 'a dark enough brand is used as it is');
  for (const brand of ['#ffeb3b', '#ffffff', '#00ff00', '#ff9900', '#88ccff', '#aa3300', '#777777']) {
    const link = linkColor(brand);
    assert.ok(contrastRatio(link, '#f4f6f8') >= 4.5 && contrastRatio(link, '#ffffff') >= 4.5, `${brand} → ${link}`);
  }
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(linkColor('#ff9900').slice(i, i + 2), 16));
  assert.ok(r! > g! && g! > b!, 'still the brand\'s hue');
});

test('in production a logo must be https: http://localhost is for development only', () => {
  const sealer = createSealer([randomBytes(32).toString('base64url')]);
  const save = (logoUrl: string, production: boolean) => applySettingsPatch({}, { branding: { logoUrl } }, { tenantId: 't1', sealer, production, outboundPolicy: production ? 'public-https' : 'allow-private' });
  assert.doesNotThrow(() => save('http://localhost:3000/logo.png', false));
  assert.throws(() => save('http://localhost:3000/logo.png', true), /branding\.logoUrl: use an https URL/);
  assert.throws(() => save('http://cdn.example/logo.png', false), /branding\.logoUrl: use an https URL/);
  assert.doesNotThrow(() => save('https://cdn.example/logo.png', true));
});
