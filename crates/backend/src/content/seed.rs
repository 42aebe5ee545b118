//! The demo catalogue and statutory pages a fresh install starts with.
//! Administrators edit them afterwards; the seed never runs twice.

use super::{NewPage, NewService};

pub const PAGES: &[NewPage<'static>] = &[
    NewPage {
        slug: "about",
        title: "About us",
        summary: "Who we are and how we support GP practices and primary care networks.",
        body_md: include_str!("../../seed/about.md"),
    },
    NewPage {
        slug: "privacy-policy",
        title: "Privacy statement",
        summary: "What personal data PrimaryPoint holds, why, for how long, and your rights.",
        body_md: include_str!("../../seed/privacy-policy.md"),
    },
    NewPage {
        slug: "cookies",
        title: "Cookies",
        summary: "The strictly necessary cookies PrimaryPoint sets, what each is for and how long it lasts.",
        body_md: include_str!("../../seed/cookies.md"),
    },
    NewPage {
        slug: "accessibility",
        title: "Accessibility statement",
        summary: "How accessible PrimaryPoint is, how to report a problem and how to complain.",
        body_md: include_str!("../../seed/accessibility.md"),
    },
];

pub const SERVICES: &[NewService<'static>] = &[
    NewService {
        slug: "medicines-management",
        name: "Medicines management",
        summary: "Prescribing advice, medication reviews and safety audits from our pharmacists and technicians.",
        body_md: "Our medicines management team of pharmacists and pharmacy technicians helps practices prescribe safely, effectively and economically.\n\n\
                  We support structured medication reviews, run safety and cost-effectiveness audits, answer prescribing queries and help practices act on national safety alerts and local formulary changes.",
        portal_offers: &[
            "Repeat prescribing and medication review policies",
            "Controlled drugs procedures",
            "Prescribing safety audit toolkits",
            "Formulary and switch guidance",
        ],
    },
    NewService {
        slug: "information-governance",
        name: "Information governance and data protection",
        summary: "Data protection officer service, the Data Security and Protection Toolkit, subject access and breach support.",
        body_md: "We act as the data protection officer for member practices and help them meet the standards of the Data Security and Protection Toolkit.\n\n\
                  Our specialists advise on subject access requests, data sharing agreements, data protection impact assessments and the handling of data breaches.",
        portal_offers: &[
            "Practice privacy notice templates",
            "Subject access request procedure",
            "Data Security and Protection Toolkit evidence packs",
            "Breach reporting guidance",
        ],
    },
    NewService {
        slug: "hr-and-workforce",
        name: "HR and workforce",
        summary: "Employment advice, contracts, policies and recruitment support for practice teams.",
        body_md: "Our HR advisers support practice managers with everything from recruitment and contracts to sickness absence, performance and employee relations.\n\n\
                  We keep a full set of employment policies up to date with changes in law and national terms.",
        portal_offers: &[
            "Employment policies and contract templates",
            "Recruitment and induction toolkits",
            "Sickness absence and capability procedures",
        ],
    },
    NewService {
        slug: "finance-and-contracts",
        name: "Finance and contracts",
        summary: "Help with GP contract payments, enhanced services, claims and practice finance.",
        body_md: "Our finance team helps practices understand and claim what they are entitled to under the GP contract, the network contract DES and local enhanced services.\n\n\
                  We also support PCNs with the Additional Roles Reimbursement Scheme and financial planning.",
        portal_offers: &[
            "Enhanced services claim guidance",
            "ARRS reimbursement toolkit",
            "Practice finance procedures",
        ],
    },
    NewService {
        slug: "clinical-governance",
        name: "Clinical governance and CQC readiness",
        summary: "Quality improvement, significant event analysis and preparation for CQC inspection.",
        body_md: "Our quality leads help practices keep their governance in good order and be ready for inspection at any time.\n\n\
                  We provide mock inspections, significant event analysis support and an up-to-date library of the policies inspectors expect to see.",
        portal_offers: &[
            "CQC key question evidence toolkit",
            "Significant event analysis procedure",
            "Safeguarding, chaperone and infection control policies",
        ],
    },
    NewService {
        slug: "health-and-safety",
        name: "Health and safety",
        summary: "Risk assessments, fire safety, premises compliance and staff safety guidance.",
        body_md: "We help practices meet their duties as employers and premises holders: risk assessments, fire safety, legionella, COSHH and lone working.\n\n\
                  Our advisers visit to carry out assessments and leave practices with clear action plans.",
        portal_offers: &[
            "Risk assessment templates",
            "Fire safety and evacuation procedures",
            "COSHH and lone working policies",
        ],
    },
    NewService {
        slug: "it-and-digital",
        name: "IT and digital",
        summary: "Clinical systems support, cyber security, online consultation and digital inclusion advice.",
        body_md: "Our digital team supports practices with clinical systems, cyber security, online consultation and the NHS App.\n\n\
                  We help practices plan and adopt new digital tools safely, and make sure patients who are not online are not left behind.",
        portal_offers: &[
            "Cyber security policies and incident procedures",
            "Clinical system user guides",
            "Digital inclusion toolkit",
        ],
    },
];
