import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes every workflow carries. Pure definitions: imported by
 * workflows, the API and the dev-server launcher (which registers them).
 */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const EntityIdKey = defineSearchAttributeKey('EntityId', SearchAttributeType.KEYWORD);
export const EntityTypeKey = defineSearchAttributeKey('EntityType', SearchAttributeType.KEYWORD);
export const RequestIdKey = defineSearchAttributeKey('RequestId', SearchAttributeType.KEYWORD);

export const customSearchAttributes = [TenantIdKey, EntityIdKey, EntityTypeKey, RequestIdKey];
