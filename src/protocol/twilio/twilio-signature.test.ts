/**
 * X-Twilio-Signature as Twilio computes it, judged by the official `twilio` package's validateRequest
 * (code nobody here wrote): POST webhooks over URL and sorted form parameters, GET over the URL alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';
import twilio from 'twilio';

import { twilioSignature, twilioSigningText, verifyTwilioSignature } from './twilio-signature.js';

const TOKEN = '12345';

test("Twilio's own documented example signs to the same text and is accepted by validateRequest", () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params: [string, string][] = [
    ['CallSid', 'CA1234567890ABCDE'],
    ['Caller', '+12349013030'],
    ['Digits', '1234'],
    ['From', '+12349013030'],
    ['To', '+18005551212'],
  ];
  assert.equal(
    twilioSigningText(url, [...params].reverse()),
    url + 'CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212',
  );
  const sig = twilioSignature(TOKEN, url, params);
  assert.ok(twilio.validateRequest(TOKEN, sig, url, Object.fromEntries(params)));
  assert.ok(verifyTwilioSignature(TOKEN, url, params, sig));
  assert.ok(!verifyTwilioSignature('other', url, params, sig));
  assert.ok(!twilio.validateRequest(TOKEN, sig, url, { ...Object.fromEntries(params), To: '+1' }));
});

test('random URLs and parameters: validateRequest accepts every signature, and refuses it for another token', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/);
  fc.assert(
    fc.property(
      // normalised as a client would request it (a bare origin gets its '/' path)
      fc.webUrl({ withQueryParameters: true }).map((u) => new URL(u).toString()),
      fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 30 })), { selector: ([k]) => k, maxLength: 8 }),
      (url, params) => {
        const sig = twilioSignature(TOKEN, url, params);
        assert.ok(twilio.validateRequest(TOKEN, sig, url, Object.fromEntries(params)));
        assert.ok(!twilio.validateRequest('not-the-token', sig, url, Object.fromEntries(params)));
      },
    ),
    { numRuns: 200 },
  );
});
