import assert from 'node:assert/strict';
import { test } from 'node:test';

import { headerValues, inDialogTarget, responseTarget, routeSetOf } from './dialog.js';

// A 200 OK from a node as Kamailio relays it: two Record-Route entries (one header line each, and a
// comma-joined pair) and the node's Contact.
const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1-inv;rport=40000',
  'Record-Route: <sip:127.0.0.1:5070;lr;ftag=t1>',
  'Record-Route: <sip:10.0.0.1;lr>, <sip:10.0.0.2:5080;lr>',
  'Contact: <sip:node@127.0.0.1:15200>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

test('the route set is the Record-Route entries in reverse order', () => {
  assert.deepEqual(routeSetOf(OK), [
    'sip:10.0.0.2:5080;lr',
    'sip:10.0.0.1;lr',
    'sip:127.0.0.1:5070;lr;ftag=t1',
  ]);
  assert.deepEqual(headerValues(OK, 'via', 'v'), [
    'SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1-inv;rport=40000',
  ]);
});

test('without a route set an in-dialog request goes to the remote target', () => {
  const t = inDialogTarget([], 'sip:node@127.0.0.1:15200');
  assert.deepEqual(t, {
    requestUri: 'sip:node@127.0.0.1:15200',
    routes: [],
    next: { host: '127.0.0.1', port: 15200 },
  });
});

test('a loose router is the next hop and the remote target stays the Request-URI', () => {
  const t = inDialogTarget(['sip:127.0.0.1:5070;lr;ftag=t1'], 'sip:node@127.0.0.1:15200');
  assert.equal(t.requestUri, 'sip:node@127.0.0.1:15200');
  assert.deepEqual(t.routes, ['sip:127.0.0.1:5070;lr;ftag=t1']);
  assert.deepEqual(t.next, { host: '127.0.0.1', port: 5070 });
});

test('a strict router takes the Request-URI; the remote target goes last in Route', () => {
  const t = inDialogTarget(['sip:10.0.0.9:5090', 'sip:10.0.0.1;lr'], 'sip:node@127.0.0.1:15200');
  assert.equal(t.requestUri, 'sip:10.0.0.9:5090');
  assert.deepEqual(t.routes, ['sip:10.0.0.1;lr', 'sip:node@127.0.0.1:15200']);
  assert.deepEqual(t.next, { host: '10.0.0.9', port: 5090 });
});

test('a response goes to the top Via, received and rport first', () => {
  assert.deepEqual(responseTarget('SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx'), {
    host: '127.0.0.1',
    port: 5070,
  });
  assert.deepEqual(responseTarget('SIP/2.0/UDP 10.0.0.1:5070;rport=6000;received=10.0.0.7;branch=z'), {
    host: '10.0.0.7',
    port: 6000,
  });
});
