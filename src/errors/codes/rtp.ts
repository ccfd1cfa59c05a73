import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the rtp area: RTP (ERR_RTP_*), RTCP (ERR_RTCP_*), RFC 4733 telephone-events
 * (ERR_RTP_EVENT_*) and the RTP port/socket adapter (ERR_RTP_PORTS_*, ERR_RTP_BIND_*). Parse failures
 * of network bytes are `protocol`: the datagram is dropped and counted, never answered.
 */
export const rtpCodes = {
  ERR_RTP_TOO_SHORT: {
    message:
      'The RTP packet is shorter than its fixed header, CSRC list or header extension (RFC 3550 §5.1).',
    category: 'protocol',
  },
  ERR_RTP_BAD_VERSION: { message: 'The RTP version field is not 2 (RFC 3550 §5.1).', category: 'protocol' },
  ERR_RTP_BAD_PADDING: {
    message: 'The RTP padding count is zero or larger than the packet allows (RFC 3550 §5.1).',
    category: 'protocol',
  },
  ERR_RTCP_TOO_SHORT: {
    message: 'The RTCP packet is shorter than its header or its length field says (RFC 3550 §6.4).',
    category: 'protocol',
  },
  ERR_RTCP_BAD_VERSION: {
    message: 'The RTCP version field is not 2 (RFC 3550 §6.4.1).',
    category: 'protocol',
  },
  ERR_RTCP_BAD_LENGTH: {
    message: 'An RTCP length or count field disagrees with the packet contents (RFC 3550 §6.4, A.2).',
    category: 'protocol',
  },
  ERR_RTCP_BAD_PADDING: {
    message:
      'RTCP padding is set on a packet that is not last in the compound, or its count is invalid (RFC 3550 A.2).',
    category: 'protocol',
  },
  ERR_RTP_EVENT_TOO_SHORT: {
    message: 'The telephone-event payload is shorter than 4 octets (RFC 4733 §2.3).',
    category: 'protocol',
  },
  ERR_RTP_PORTS_EXHAUSTED: {
    message: 'Every port of the configured RTP port range is in use.',
    category: 'server',
    sipStatus: 503,
  },
  ERR_RTP_BIND_FAILED: {
    message: 'No RTP/RTCP port pair of the configured range could be bound.',
    category: 'server',
    sipStatus: 503,
  },
} as const satisfies CatalogSection;

/** A code of the rtp area. */
export type RtpErrorCode = keyof typeof rtpCodes;
