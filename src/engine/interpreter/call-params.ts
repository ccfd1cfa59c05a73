/** The parameters Plivo sends with every request a call makes (plivo-stream.md §9). */
export interface CallIdentity {
  readonly callUuid: string;
  readonly requestUuid: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'inbound' | 'outbound';
  readonly accountId: string;
  /** Epoch ms when the call started. */
  readonly startedAtMs: number;
  /** SIP headers to pass as `SIP-H-<Name>` (X- headers of the INVITE). */
  readonly sipHeaders?: readonly (readonly [string, string])[];
}

function sessionStart(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

export function callParams(id: CallIdentity, callStatus: string): [string, string][] {
  const params: [string, string][] = [
    ['CallUUID', id.callUuid],
    ['From', id.from],
    ['To', id.to],
    ['Direction', id.direction],
    ['CallStatus', callStatus],
    ['ALegUUID', id.callUuid],
    ['ALegRequestUUID', id.requestUuid],
    ['RequestUUID', id.requestUuid],
    ['ParentAuthID', id.accountId],
    ['SessionStart', sessionStart(id.startedAtMs)],
    ['Event', 'StartApp'],
  ];
  for (const [name, value] of id.sipHeaders ?? []) {
    params.push([`SIP-H-${name}`, value]);
  }
  return params;
}
