/**
 * The package's public entry: `import { Response } from 'streamfork'`.
 */
export {
  DTMFElement,
  GetDigitsElement,
  HangupElement,
  PlayElement,
  PlivoXmlBuilderError,
  PlivoXmlElement,
  PreAnswerElement,
  RedirectElement,
  Response,
  SpeakElement,
  StreamElement,
  WaitElement,
} from './protocol/plivo-xml/builder.js';
export type {
  DTMFAttributes,
  GetDigitsAttributes,
  HangupAttributes,
  PlayAttributes,
  RedirectAttributes,
  SpeakAttributes,
  StreamAttributes,
  WaitAttributes,
} from './protocol/plivo-xml/builder.js';
export { parsePlivoXml } from './protocol/plivo-xml/parse.js';
export type {
  DtmfNode,
  GetDigitsChildNode,
  GetDigitsNode,
  HangupNode,
  NodeBase,
  PlayNode,
  PlivoXmlDocument,
  PlivoXmlResult,
  PreAnswerChildNode,
  PreAnswerNode,
  RedirectNode,
  ResponseChildNode,
  ResponseNode,
  SourcePosition,
  SpeakNode,
  StreamNode,
  WaitNode,
  XmlIssue,
} from './protocol/plivo-xml/types.js';
export type { XmlCode } from './errors/codes/xml.js';
