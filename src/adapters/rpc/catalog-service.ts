import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { ChangePlan } from "../../application/catalog/change-plan.js";
import type { CreateCustomer } from "../../application/catalog/create-customer.js";
import type { CreatePlan } from "../../application/catalog/create-plan.js";
import type { DefineMeter } from "../../application/catalog/define-meter.js";
import type { DefineModel } from "../../application/catalog/define-model.js";
import type { GetCustomer } from "../../application/catalog/get-customer.js";
import type { GetPlan } from "../../application/catalog/get-plan.js";
import type { ListMeters } from "../../application/catalog/list-meters.js";
import type { ListModels } from "../../application/catalog/list-models.js";
import type { ListPlans } from "../../application/catalog/list-plans.js";
import type { CustomerView } from "../../application/catalog/load-customer.js";
import type { PublishPlanVersion } from "../../application/catalog/publish-plan-version.js";
import type { SetCustomerStatus } from "../../application/catalog/set-customer-status.js";
import type { UpdateCustomerLimits } from "../../application/catalog/update-customer-limits.js";
import { invalid } from "../../application/errors.js";
import { violation } from "../../domain/catalog/field-error.js";
import type { CatalogService } from "../../gen/tollgate/v1/catalog_pb.js";
import type {
  ChangePlanRequest,
  CreateCustomerRequest,
  CreatePlanRequest,
  DefineMeterRequest,
  DefineModelRequest,
  GetCustomerRequest,
  GetPlanRequest,
  ListModelsRequest,
  PublishPlanVersionRequest,
  SetCustomerStatusRequest,
  UpdateCustomerLimitsRequest,
} from "../../gen/tollgate/v1/catalog_pb.js";
import {
  customerOut,
  formulaInput,
  intervalIn,
  limitsIn,
  meterOut,
  modelOut,
  optionalTime,
  planOut,
  planVersionIn,
  routingIn,
  statusIn,
} from "./catalog-mapping.js";
import { tenantOf } from "./context.js";
import { unwrap } from "./errors.js";

export type CatalogUseCases = {
  readonly defineMeter: DefineMeter;
  readonly listMeters: ListMeters;
  readonly defineModel: DefineModel;
  readonly listModels: ListModels;
  readonly createPlan: CreatePlan;
  readonly publishPlanVersion: PublishPlanVersion;
  readonly getPlan: GetPlan;
  readonly listPlans: ListPlans;
  readonly createCustomer: CreateCustomer;
  readonly getCustomer: GetCustomer;
  readonly changePlan: ChangePlan;
  readonly updateCustomerLimits: UpdateCustomerLimits;
  readonly setCustomerStatus: SetCustomerStatus;
};

const customerResponse = (view: CustomerView) => ({ customer: customerOut(view.customer, view.currency) });

/** tollgate.v1.CatalogService: meters, models and their vendor costs, plans, customers. */
export class CatalogServiceImpl implements ServiceImpl<typeof CatalogService> {
  constructor(private readonly useCases: CatalogUseCases) {}

  async defineMeter(req: DefineMeterRequest, ctx: HandlerContext) {
    const meter = unwrap(await this.useCases.defineMeter.execute(tenantOf(ctx), { key: req.key, displayName: req.displayName, unit: req.unit }));
    return { meter: meterOut(meter) };
  }

  async listMeters(_req: unknown, ctx: HandlerContext) {
    return { meters: (await this.useCases.listMeters.execute(tenantOf(ctx))).map(meterOut) };
  }

  async defineModel(req: DefineModelRequest, ctx: HandlerContext) {
    const model = unwrap(
      await this.useCases.defineModel.execute(tenantOf(ctx), {
        key: req.key,
        vendor: req.vendor,
        displayName: req.displayName,
        tags: req.tags,
        cost: formulaInput(req.cost),
        currency: req.currency,
        effectiveFrom: optionalTime(req.effectiveFrom),
      }),
    );
    return { model: modelOut(model) };
  }

  async listModels(req: ListModelsRequest, ctx: HandlerContext) {
    return { models: (await this.useCases.listModels.execute(tenantOf(ctx), req.tag)).map(modelOut) };
  }

  async createPlan(req: CreatePlanRequest, ctx: HandlerContext) {
    const plan = unwrap(await this.useCases.createPlan.execute(tenantOf(ctx), { key: req.key, displayName: req.displayName, currency: req.currency }));
    return { plan: planOut(plan) };
  }

  async publishPlanVersion(req: PublishPlanVersionRequest, ctx: HandlerContext) {
    const version = req.version;
    let input;
    if (version) {
      const interval = intervalIn(version.interval);
      if (interval === "invalid") unwrap(invalid(violation("version.interval", `unknown billing interval ${version.interval}`)));
      const routing = routingIn(version.routing);
      if (routing === "invalid") unwrap(invalid(violation("version.routing", `unknown routing policy ${version.routing}`)));
      input = planVersionIn(version, interval === "invalid" ? undefined : interval, routing === "invalid" ? undefined : routing);
    }
    const plan = unwrap(await this.useCases.publishPlanVersion.execute(tenantOf(ctx), req.planKey, input));
    return { plan: planOut(plan) };
  }

  async getPlan(req: GetPlanRequest, ctx: HandlerContext) {
    return { plan: planOut(unwrap(await this.useCases.getPlan.execute(tenantOf(ctx), req.planKey))) };
  }

  async listPlans(_req: unknown, ctx: HandlerContext) {
    return { plans: (await this.useCases.listPlans.execute(tenantOf(ctx))).map(planOut) };
  }

  async createCustomer(req: CreateCustomerRequest, ctx: HandlerContext) {
    const view = unwrap(
      await this.useCases.createCustomer.execute(tenantOf(ctx), {
        customerId: req.customerId,
        displayName: req.displayName,
        planKey: req.planKey,
        startedAt: optionalTime(req.startedAt),
        trialEndsAt: optionalTime(req.trialEndsAt),
        fingerprint: req.fingerprint,
        limits: limitsIn(req.limits),
      }),
    );
    return customerResponse(view);
  }

  async getCustomer(req: GetCustomerRequest, ctx: HandlerContext) {
    return customerResponse(unwrap(await this.useCases.getCustomer.execute(tenantOf(ctx), req.customerId)));
  }

  async changePlan(req: ChangePlanRequest, ctx: HandlerContext) {
    return customerResponse(unwrap(await this.useCases.changePlan.execute(tenantOf(ctx), req.customerId, req.planKey, optionalTime(req.effectiveAt))));
  }

  async updateCustomerLimits(req: UpdateCustomerLimitsRequest, ctx: HandlerContext) {
    return customerResponse(unwrap(await this.useCases.updateCustomerLimits.execute(tenantOf(ctx), req.customerId, limitsIn(req.limits))));
  }

  async setCustomerStatus(req: SetCustomerStatusRequest, ctx: HandlerContext) {
    return customerResponse(unwrap(await this.useCases.setCustomerStatus.execute(tenantOf(ctx), req.customerId, statusIn(req.status))));
  }
}
