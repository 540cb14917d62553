import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brandingCss, contrastRatio, defaultBranding, parseBranding } from '../../src/tenants/branding.js';

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
  assert.equal(brandingCss(defaultBranding), ':root{--brand:#1d4ed8;--brand-contrast:#ffffff}');
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
  assert.equal(brandingCss({ logoUrl: null, primaryColor: '#ffeb3b' }), ':root{--brand:#ffeb3b;--brand-contrast:#000000}');
  assert.equal(brandingCss({ logoUrl: null, primaryColor: '#000000' }), ':root{--brand:#000000;--brand-contrast:#ffffff}');
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
