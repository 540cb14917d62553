// The tenants an operator may act on: the client's and the user's restrictions intersected (issue #13, finding 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { intersect, mayActOn, mayCreateTenants, operatorTenants, restrictionOf, visibleTenants } from '../../src/management/operator-access.js';

describe('operator access', () => {
  it('an absent restriction is open; anything but a list of slugs closes every tenant', () => {
    assert.equal(restrictionOf(undefined), null);
    assert.equal(restrictionOf(null), null);
    assert.deepEqual(restrictionOf('acme'), []);
    assert.deepEqual(restrictionOf({ acme: true }), []);
    assert.deepEqual(restrictionOf(['acme', 7, 'beta']), ['acme', 'beta']);
  });

  it('the operator gets what both the client and the user allow', () => {
    assert.deepEqual(operatorTenants({ client: undefined, user: ['acme'] }), ['acme']);
    assert.deepEqual(operatorTenants({ client: ['acme', 'beta'], user: undefined }), ['acme', 'beta']);
    assert.deepEqual(operatorTenants({ client: ['acme', 'beta'], user: ['beta', 'gamma'] }), ['beta']);
    assert.deepEqual(operatorTenants({ client: ['acme'], user: ['beta'] }), []);
    assert.equal(operatorTenants({ client: undefined, user: undefined }), null);
    assert.equal(intersect(null, null), null);
  });

  it('only an unrestricted operator creates tenants; a restricted one sees and acts on their own only', () => {
    assert.equal(mayCreateTenants(null), true);
    assert.equal(mayCreateTenants(['acme']), false);
    assert.equal(mayCreateTenants([]), false);
    assert.equal(mayActOn(['acme'], 'beta'), false);
    assert.equal(mayActOn(['acme'], 'acme'), true);
    assert.equal(mayActOn(null, 'beta'), true);
    assert.deepEqual(visibleTenants(['beta'], [{ slug: 'acme' }, { slug: 'beta' }]), [{ slug: 'beta' }]);
  });
});
