// Every access token names the environment that issued it (issue #19) in the `environment` claim (`live`,
// `sandbox`, …): with a different `iss` and different keys, one more signal a resource server can check, and
// introspection shows it for opaque tokens too.
export const environmentClaim = 'environment';
