// What dist/ bundles for the package "ssh2" (scripts/build.mjs points "ssh2" here): the client and the key parser
// only, the two parts this tool uses. The package's index would also load its server, key generator, HTTP agents
// (http, https, tls) and SFTP: more to load at every start of the CLI, and more bytes in the VSIX.
/* eslint-disable @typescript-eslint/no-require-imports -- two files deep inside the package, which has no export map for them */
type Ssh2 = typeof import('ssh2');
export const Client = require('ssh2/lib/client.js') as Ssh2['Client'];
export const utils = { parseKey: (require('ssh2/lib/protocol/keyParser.js') as Ssh2['utils']).parseKey };
