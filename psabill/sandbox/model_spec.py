"""The spec fields the sandbox stores and shows but gives no meaning to (OpenAPI 2025.8).

:mod:`.model` lists, per entity, the fields the sandbox uses; these groups complete each to its
full spec schema (``ai-connor/connectwise:model_*.go``), so a client sees every field ConnectWise
defines, ``null`` where unset. References to records the sandbox has no table for are
``unlinked``: always ``null``, and a write naming one is ``NotFound``.
"""

from __future__ import annotations

from typing import Any

from psabill.sandbox.schema import Field, Kind, Ref

BILLABLE = ("Billable", "DoNotBill", "NoCharge", "NoDefault")
COMPANY_REF = Ref("companies", ("id", "identifier", "name"), ("id", "identifier"))


def _f(name: str, kind: Kind, **options: Any) -> Field:
    return Field(name, kind, **options)


def _many(kind: Kind, *names: str, **options: Any) -> tuple[Field, ...]:
    """Fields of one kind and the same options, in the order given."""
    return tuple(Field(name, kind, **options) for name in names)


_CUSTOM_FIELDS = _f("customFields", "unlinked")
COMPANY_SPEC = (
    *_many("str", "addressLine2", "state", max_length=50),
    _f("faxNumber", "str", max_length=30),
    *_many("unlinked", "territory", "market"),
    _f("accountNumber", "str"),
    _f("defaultContact", "unlinked"),
    _f("dateAcquired", "date"),
    _f("sicCode", "unlinked"),
    _f("parentCompany", "ref", ref=COMPANY_REF),
    *_many("float", "annualRevenue", "creditLimit", "additionalDebt"),
    *_many("int", "numberOfEmployees", "yearEstablished", "revenueYear"),
    *_many("unlinked", "ownershipType", "timeZoneSetup"),
    _f("leadSource", "str", max_length=50),
    *_many("bool", "leadFlag", "unsubscribeFlag"),
    _f("calendar", "unlinked"),
    *_many("str", *(f"userDefinedField{n}" for n in range(1, 11)), max_length=50),
    *_many("str", "vendorIdentifier", "taxIdentifier"),
    *_many(
        "unlinked",
        "taxCode",
        "billingTerms",
        "invoiceTemplate",
        "pricingSchedule",
        "companyEntityType",
    ),
    _f("billToCompany", "ref", ref=COMPANY_REF),
    *_many("unlinked", "billingSite", "billingContact", "invoiceDeliveryMethod"),
    *_many("str", "invoiceToEmailAddress", "invoiceCCEmailAddress", "deletedBy", "mobileGuid"),
    *_many("str", "facebookUrl", "twitterUrl", "linkedInUrl"),
    *_many("unlinked", "currency", "territoryManager"),
    _f("resellerIdentifier", "str"),
    _f("isVendorFlag", "bool"),
    *_many("unlinked", "types", "site"),
    _f("integratorTags", "json"),
    _CUSTOM_FIELDS,
)
AGREEMENT_SPEC = (
    _f("site", "unlinked"),
    _f("subContractCompany", "ref", ref=COMPANY_REF),
    *_many("unlinked", "subContractContact", "location", "department"),
    *_many("bool", "restrictLocationFlag", "restrictDepartmentFlag"),
    *_many("unlinked", "opportunity", "sla"),
    _f("workOrder", "str", max_length=20),
    _f("internalNotes", "str"),
    _f("applicationUnits", "enum", choices=("Amount", "Hours", "Incidents")),
    _f("applicationLimit", "float"),
    _f(
        "applicationCycle",
        "enum",
        choices=(
            "Contract2Weeks",
            "Contract4Weeks",
            "ContractYear",
            "CalendarMonth",
            "CalendarQuarter",
            "CalendarWeek",
            "ContractQuarter",
            "CalendarYear",
        ),
    ),
    *_many(
        "bool",
        "applicationUnlimitedFlag",
        "oneTimeFlag",
        "coverAgreementTime",
        "coverAgreementProduct",
        "coverAgreementExpense",
        "coverSalesTax",
        "carryOverUnused",
        "allowOverruns",
    ),
    *_many("int", "expiredDays", "limit"),
    *_many("bool", "expireWhenZero", "chargeToFirm"),
    _f("employeeCompRate", "enum", choices=("Actual", "Hourly")),
    _f("employeeCompNotExceed", "enum", choices=("Billing", "Amount", "Percent")),
    *_many("float", "compHourlyRate", "compLimitAmount"),
    _f("billOneTimeFlag", "bool"),
    _f("billingTerms", "unlinked"),
    _f("invoicingCycle", "enum", choices=("ContractYear", "CalendarYear")),
    _f("billToCompany", "ref", ref=COMPANY_REF),
    *_many("unlinked", "billToContact", "billToSite"),
    _f("taxable", "bool"),
    _f("prorateFirstBill", "float"),
    _f("billStartDate", "date"),
    _f("taxCode", "unlinked"),
    _f("restrictDownPayment", "bool"),
    _f("invoiceDescription", "str"),
    *_many("bool", "topComment", "bottomComment"),
    *_many("unlinked", "workRole", "workType", "projectType", "invoiceTemplate"),
    *_many("enum", "billTime", "billExpenses", "billProducts", choices=BILLABLE),
    *_many("bool", "billableTimeInvoice", "billableExpenseInvoice", "billableProductInvoice"),
    _f("currency", "unlinked"),
    _f("autoInvoiceFlag", "bool"),
    _f("nextInvoiceDate", "str", writable=False),
    _f("companyLocation", "unlinked"),
    _f("shipToCompany", "ref", ref=COMPANY_REF),
    *_many("unlinked", "shipToContact", "shipToSite"),
    _CUSTOM_FIELDS,
)

CATALOG_SPEC = (
    *_many("bool", "serializedFlag", "serializedCostFlag", "phaseProductFlag"),
    _f("unitOfMeasure", "unlinked"),
    _f("minStockLevel", "int"),
    *_many("bool", "dropShipFlag", "specialOrderFlag"),
    _f("manufacturer", "unlinked"),
    _f("vendor", "ref", ref=COMPANY_REF),
    _f("integrationXRef", "str", max_length=50),
    *_many("unlinked", "sla", "entityType"),
    _f("recurringOneTimeFlag", "bool"),
    _f("recurringBillCycle", "unlinked"),
    _f("recurringCycleType", "enum", choices=("ContractYear", "CalendarYear")),
    *_many("bool", "calculatedPriceFlag", "calculatedCostFlag"),
    _f("category", "unlinked"),
    *_many("float", "calculatedPrice", "calculatedCost", writable=False, derived=True),
    _f("connectWiseID", "str", writable=False),
    _f("agreementType", "ref", ref=Ref("agreementTypes", ("id", "name"), ("id", "name"))),
    _f("markupPercentage", "float"),
    *_many("bool", "markupFlag", "autoUpdateUnitCostFlag", "autoUpdateUnitPriceFlag"),
    _CUSTOM_FIELDS,
)

_ADDRESS = ("AddressLine1", "AddressLine2", "City", "State", "Zip", "Country")
INVOICE_SPEC = (
    *_many("ref", "billToCompany", "shipToCompany", ref=COMPANY_REF),
    *_many("str", "accountNumber", "applyToType"),
    _f("applyToId", "int"),
    *_many("str", "attention", "shipToAttention", max_length=60),
    _f("billingSite", "unlinked"),
    *_many("str", *(f"billingSite{part}" for part in _ADDRESS)),
    _f("shippingSite", "unlinked"),
    *_many("str", *(f"shippingSite{part}" for part in _ADDRESS)),
    _f("billingTerms", "unlinked"),
    *_many("str", "reference", "customerPO", max_length=50),
    _f("templateSetupId", "int"),
    _f("invoiceTemplate", "unlinked"),
    _f("emailTemplateId", "int"),
    *_many("bool", "addToBatchEmailList", "restrictDownpaymentFlag"),
    _f("locationId", "int"),
    _f("location", "unlinked"),
    _f("departmentId", "int"),
    _f("department", "unlinked"),
    _f("territoryId", "int"),
    _f("territory", "unlinked"),
    *_many("str", "topComment", "bottomComment"),
    _f("taxableFlag", "bool"),
    _f("taxCode", "unlinked"),
    _f("internalNotes", "str"),
    _f("downpaymentPreviouslyTaxedFlag", "bool"),
    _f("serviceTotal", "float"),
    _f("overrideDownPaymentAmountFlag", "bool"),
    _f("currency", "unlinked"),
    *_many(
        "float",
        "expenseTotal",
        "productTotal",
        "previousProgressApplied",
        "serviceAdjustmentAmount",
        "agreementAmount",
        "downpaymentApplied",
        "remainingDownpayment",
        "salesTax",
    ),
    *_many("str", "adjustmentReason", "adjustedBy", "closedBy"),
    *_many("float", "payments", "credits"),
    _f("specialInvoiceFlag", "bool"),
    *_many(
        "unlinked",
        "billingSetupReference",
        "ticket",
        "project",
        "phase",
        "salesOrder",
        "glBatch",
        "unbatchedBatch",
    ),
    _CUSTOM_FIELDS,
)

ADDITION_SPEC = (
    *_many(
        "float",
        "prorateCost",
        "proratePrice",
        "extendedProrateCost",
        "extendedProratePrice",
        writable=False,
        derived=True,
    ),
    *_many("unlinked", "opportunity", "invoiceGrouping"),
    _CUSTOM_FIELDS,
)
