"""The entities the sandbox serves, field by field (reference §6, OpenAPI 2025.8).

Companies, agreements, additions, catalog items and invoices carry **every** field of their
spec schema (``Company``, ``Agreement``, ``Addition``, ``CatalogItem``, ``Invoice``), ``null``
where unset, plus ``_info``. The fields listed first are the ones the sandbox gives meaning to;
the ``*_SPEC`` groups of :mod:`.model_spec` after them are stored and shown but drive nothing.
A field that is not listed does not exist in the sandbox (and is refused in
``conditions``/``orderBy`` and in write bodies). Maximum lengths and required flags are the
spec's.
"""

from __future__ import annotations

from typing import Any

from psabill.sandbox.model_spec import (
    ADDITION_SPEC,
    AGREEMENT_SPEC,
    BILLABLE,
    CATALOG_SPEC,
    COMPANY_REF,
    COMPANY_SPEC,
    INVOICE_SPEC,
)
from psabill.sandbox.schema import Field, Kind, Ref, Resource, Table


def _f(name: str, kind: Kind, **options: Any) -> Field:
    return Field(name, kind, **options)


_ID = _f("id", "int", writable=False)
_AGREEMENT_STATUS = ("Active", "Cancelled", "Expired", "Inactive")
_PRODUCT_REF = Ref(  # IvItemReference
    "catalog", ("id", "identifier", "serializedFlag"), ("id", "identifier")
)

COMPANY = Resource(
    "company",
    "Company",
    "companies",
    "company/companies",
    "company_href",
    (
        _ID,
        _f("identifier", "str", required=True, max_length=30),
        _f("name", "str", required=True, max_length=50),
        _f("status", "json"),
        _f("addressLine1", "str", max_length=50),
        _f("city", "str", max_length=50),
        _f("zip", "str", max_length=12),
        _f("country", "json"),
        _f("phoneNumber", "str", max_length=30),
        _f("website", "str", max_length=255),
        _f("deletedFlag", "bool", default=False),
        _f("dateDeleted", "date"),
        *COMPANY_SPEC,
    ),
)

AGREEMENT_TYPE = Resource(
    "agreementType",
    "Agreement type",
    "agreementTypes",
    "finance/agreements/types",
    "type_href",
    (
        _ID,
        _f("name", "str", required=True, max_length=50),
        _f("defaultFlag", "bool", default=False),
        _f("inactiveFlag", "bool", default=False),
        _f("prorateFlag", "bool", default=False),
        _f("invoiceProratedAdditionsFlag", "bool", default=False),
        _f("employeeCompRate", "enum", choices=("Actual", "Hourly"), default="Actual"),
        _f(
            "invoicingCycle",
            "enum",
            choices=("ContractYear", "CalendarYear"),
            default="ContractYear",
        ),
        _f("billTime", "enum", choices=BILLABLE, default="Billable"),
        _f("billExpenses", "enum", choices=BILLABLE, default="Billable"),
        _f("billProducts", "enum", choices=BILLABLE, default="Billable"),
    ),
)

AGREEMENT = Resource(
    "agreement",
    "Agreement",
    "agreements",
    "finance/agreements",
    "agreement_href",
    (
        _ID,
        _f("name", "str", required=True, max_length=100),
        _f("type", "ref", required=True, ref=Ref("agreementTypes", ("id", "name"), ("id", "name"))),
        _f("company", "ref", required=True, ref=COMPANY_REF),
        _f("contact", "json"),
        _f("parentAgreement", "json"),
        _f("customerPO", "str", max_length=50),
        _f("startDate", "date"),
        _f("endDate", "date"),
        _f("noEndingDateFlag", "bool", default=False),
        _f("cancelledFlag", "bool", default=False),
        _f("dateCancelled", "date"),
        _f("reasonCancelled", "str", max_length=100),
        _f("agreementStatus", "enum", choices=_AGREEMENT_STATUS, default="Active"),
        _f("billingCycle", "json"),
        _f("billAmount", "float", default=0.0),
        _f("prorateFlag", "bool", default=False),
        _f("invoiceProratedAdditionsFlag", "bool", default=False),
        _f(
            "periodType",
            "enum",
            choices=("Current", "Future", "Both", "Undefined"),
            default="Current",
        ),
        *AGREEMENT_SPEC,
    ),
)

PRODUCT_TYPE = Resource(
    "productType",
    "Product type",
    "productTypes",
    "procurement/types",
    "type_href",
    (
        _ID,
        _f("name", "str", required=True, max_length=50),
        _f("inactiveFlag", "bool", default=False),
        _f("typeXref", "str", max_length=50),
        _f("defaultFlag", "bool", default=False),
    ),
)

SUBCATEGORY = Resource(
    "subCategory",
    "Subcategory",
    "subcategories",
    "procurement/subcategories",
    "subcategory_href",
    (
        _ID,
        _f("name", "str", required=True, max_length=50),
        _f("inactiveFlag", "bool", default=False),
        _f("integrationXref", "str", max_length=50),
        _f("defaultFlag", "bool", default=False),
        _f("category", "json"),
    ),
)

CATALOG_ITEM = Resource(
    "catalogItem",
    "Catalog item",
    "catalog",
    "procurement/catalog",
    "product_href",
    (
        _ID,
        _f("identifier", "str", required=True, max_length=75),
        _f("description", "str", required=True, max_length=60),
        _f("inactiveFlag", "bool", default=False),
        _f(
            "subcategory",
            "ref",
            required=True,
            ref=Ref("subcategories", ("id", "name"), ("id", "name")),
        ),
        _f("type", "ref", required=True, ref=Ref("productTypes", ("id", "name"), ("id", "name"))),
        _f(
            "productClass",
            "enum",
            default="NonInventory",
            choices=("Agreement", "Bundle", "Inventory", "NonInventory", "Service"),
        ),
        _f("price", "float", default=0.0),
        _f("cost", "float", default=0.0),
        _f(
            "priceAttribute",
            "enum",
            default="FixedFee",
            choices=("FixedFee", "NotToExceed", "OverrideRate", "TimeAndMaterials"),
        ),
        _f("taxableFlag", "bool", default=False),
        _f("customerDescription", "str", required=True, max_length=6000),
        _f("manufacturerPartNumber", "str", max_length=50),
        _f("vendorSku", "str", max_length=50),
        _f("notes", "str"),
        _f("recurringFlag", "bool", default=False),
        _f("recurringRevenue", "float", default=0.0),
        _f("recurringCost", "float", default=0.0),
        _f("billableOption", "enum", choices=BILLABLE, default="Billable"),
        *CATALOG_SPEC,
    ),
)

ADDITION = Resource(
    "addition",
    "Addition",
    "additions",
    "finance/agreements/{agreementId}/additions",
    "addition_href",
    (
        _ID,
        _f("product", "ref", required=True, ref=_PRODUCT_REF),
        _f("quantity", "float"),
        _f("lessIncluded", "float", default=0.0),
        _f("unitPrice", "float"),
        _f("unitCost", "float"),
        _f("billCustomer", "enum", required=True, choices=("Billable", "DoNotBill", "NoCharge")),
        _f("effectiveDate", "date"),
        _f("cancelledDate", "date"),
        _f("taxableFlag", "bool", default=False),
        _f("serialNumber", "str", max_length=50),
        _f("invoiceDescription", "str", max_length=6000),
        _f("purchaseItemFlag", "bool", default=False),
        _f("specialOrderFlag", "bool", default=False),
        _f("agreementId", "int", writable=False),
        _f("description", "str"),
        _f("billedQuantity", "float", writable=False, derived=True),
        _f("uom", "str"),
        _f("extPrice", "float", writable=False, derived=True),
        _f("extCost", "float", writable=False, derived=True),
        _f("margin", "float", writable=False, derived=True),
        _f("sequenceNumber", "float"),
        _f("prorateCurrentPeriodFlag", "bool", default=False),
        _f("agreementStatus", "enum", choices=_AGREEMENT_STATUS, writable=False, derived=True),
        *ADDITION_SPEC,
    ),
)

INVOICE = Resource(
    "invoice",
    "Invoice",
    "invoices",
    "finance/invoices",
    "invoice_href",
    (
        _ID,
        _f("invoiceNumber", "str", required=True, max_length=15),
        _f(
            "type",
            "enum",
            default="Agreement",
            choices=(
                "Agreement",
                "CreditMemo",
                "DownPayment",
                "Miscellaneous",
                "Progress",
                "Standard",
            ),
        ),
        _f("status", "json"),
        _f("company", "ref", required=True, ref=COMPANY_REF),
        _f("agreement", "ref", ref=Ref("agreements", ("id", "name"), ("id", "name"))),
        _f("date", "date"),
        _f("dueDate", "date"),
        _f("subtotal", "float", default=0.0),
        _f("total", "float", default=0.0),
        _f("balance", "float", default=0.0),
        *INVOICE_SPEC,
    ),
)

RESOURCES: dict[Table, Resource] = {
    r.table: r
    for r in (
        COMPANY,
        AGREEMENT_TYPE,
        AGREEMENT,
        PRODUCT_TYPE,
        SUBCATEGORY,
        CATALOG_ITEM,
        ADDITION,
        INVOICE,
    )
}
