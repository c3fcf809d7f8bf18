export type { MethodCall, MethodResponse, XmlRpcLimits, XmlRpcStruct, XmlRpcValue } from './value.ts';
export { REQUEST_LIMITS, RESPONSE_LIMITS, isStruct } from './value.ts';
export { decodeXmlBytes, parseMethodCall, parseMethodResponse } from './parse.ts';
export { writeFault, writeMethodCall, writeMethodResponse } from './write.ts';
export type { MethodTable, ParamType } from './signature.ts';
export { checkSignature } from './signature.ts';
