/** The Prometheus relabel engine: compile rules from config, classify them, apply them. */
export { compileRelabelConfig, compileRelabelConfigs, DEFAULT_REGEX, DEFAULT_REPLACEMENT, DEFAULT_SEPARATOR } from './compile.js';
export { hashmod, relabel, relabelTarget } from './apply.js';
export { classifyRules, filterKeeps, NAME_CACHE_LIMIT, type RuleClassification } from './classify.js';
export { expand, expandTemplate, parseTemplate } from './expand.js';
export { compileAnchoredRe2, Re2SyntaxError, translateRe2, type CompiledRegex, type Re2Translation } from './re2.js';
export { isValidLabelName } from './names.js';
export type { LabelSet, RelabelAction, RelabelConfig, RelabelRule, RulePlan, TemplatePart } from './types.js';
export { compatiblePrefix, literalPrefix } from './prefix.js';
